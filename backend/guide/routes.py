from backend.guide import views

PAGE_BLUEPRINTS = [views.blp]
