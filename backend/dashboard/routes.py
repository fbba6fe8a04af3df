from backend.dashboard import views

PAGE_BLUEPRINTS = [views.blp]
