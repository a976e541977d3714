from django.urls import path

from . import views

urlpatterns = [
    path("m/<str:code>/book/", views.book_page, name="book-page"),
    path("m/me/bookings/", views.my_bookings_page, name="my-bookings-page"),
    path("m/me/bookings/<str:booking>/qr.svg", views.booking_qr, name="booking-qr"),
]
