"""WebSocket routes."""

from django.urls import path

from queueing.consumers import HallDisplayConsumer, TicketConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:code>/display/", HallDisplayConsumer.as_asgi()),
    path("ws/tickets/<str:token>/", TicketConsumer.as_asgi()),
]
