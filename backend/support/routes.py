from backend.support import operator_views, views

PAGE_BLUEPRINTS = [views.blp, operator_views.blp, operator_views.poll_blp]
