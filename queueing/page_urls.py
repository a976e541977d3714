from django.urls import path

from .views import console, customer, display, presence

urlpatterns = [
    path("display/<str:code>/", display.lobby_display, name="lobby-display"),
    path("display/<str:code>/counter/<int:number>/", display.counter_screen, name="counter-screen"),
    path("console/", console.console, name="console"),
    path("console/login/", console.ConsoleSignInView.as_view(), name="console-signin"),
    path("console/logout/", console.ConsoleSignOutView.as_view(), name="console-signout"),
    path("t/<str:token>/", customer.ticket_page, name="ticket-page"),
    path("m/", customer.take_number, name="take-number"),
    path("m/waiting/", customer.take_number_waiting, name="take-number-waiting"),
    path("m/check-in/<str:key>/", presence.check_in_by_code, name="check-in-by-code"),
    path("manage/<str:code>/check-in-qr/", presence.check_in_qr, name="check-in-qr"),
    path("m/<str:code>/", customer.take_number_hall, name="take-number-hall"),
]
