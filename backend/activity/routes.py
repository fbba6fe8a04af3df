from backend.activity import views

PAGE_BLUEPRINTS = [views.blp]
