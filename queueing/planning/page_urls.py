from django.urls import path

from . import views

urlpatterns = [
    path("manage/", views.manage_home, name="manage"),
    path("manage/<str:code>/", views.manage_floor, name="manage-floor"),
    path("manage/<str:code>/plan/", views.manage_plan, name="manage-plan"),
]
