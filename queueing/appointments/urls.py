from django.urls import path

from . import api

urlpatterns = [
    path("halls/<str:code>/appointments/slots/", api.HallSlotsApi.as_view(), name="appointment-slots"),
    path("halls/<str:code>/appointments/", api.AppointmentBookApi.as_view(), name="appointment-book"),
    path("halls/<str:code>/appointments/check-in/", api.AppointmentCheckInApi.as_view(),
         name="appointment-check-in"),
    path("halls/<str:code>/appointments/daily/", api.HallAppointmentDaysApi.as_view(), name="appointment-days"),
    path("me/appointments/", api.MyAppointmentsApi.as_view(), name="my-appointments"),
    path("me/appointments/<str:booking>/", api.MyAppointmentDetailApi.as_view(), name="my-appointment"),
    path("me/appointments/<str:booking>/cancel/", api.AppointmentCancelApi.as_view(), name="appointment-cancel"),
    path("me/appointments/<str:booking>/move/", api.AppointmentMoveApi.as_view(), name="appointment-move"),
]
