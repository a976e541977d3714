from django.urls import path

from . import api

urlpatterns = [
    path("halls/<str:code>/queue/", api.HallQueueApi.as_view(), name="hall-queue"),
    path("halls/<str:code>/tickets/", api.TicketIssueApi.as_view(), name="ticket-issue"),
    path("halls/<str:code>/tickets/check-in/", api.HallTicketCheckInApi.as_view(), name="hall-ticket-check-in"),
    path("halls/<str:code>/tickets/<str:number>/cancel/", api.HallTicketCancelApi.as_view(),
         name="hall-ticket-cancel"),
    path("halls/<str:code>/displays/", api.DisplayListApi.as_view(), name="display-list"),
    path("halls/<str:code>/counter-requests/", api.HallCounterRequestListApi.as_view(), name="counter-request-list"),
    path("counter-requests/<int:request_id>/answer/", api.CounterRequestAnswerApi.as_view(),
         name="counter-request-answer"),
    path("halls/<str:code>/displays/heartbeat/", api.DisplayHeartbeatApi.as_view(), name="display-heartbeat"),
    path("tickets/<str:token>/", api.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<str:token>/cancel/", api.TicketCancelApi.as_view(), name="ticket-cancel"),
    path("tickets/<str:token>/away/", api.TicketStepAwayApi.as_view(), name="ticket-step-away"),
    path("tickets/<str:token>/back/", api.TicketComeBackApi.as_view(), name="ticket-come-back"),
    path("tickets/<str:token>/check-in/", api.TicketCheckInApi.as_view(), name="ticket-check-in"),
    path("tickets/<str:token>/rating/", api.TicketRatingApi.as_view(), name="ticket-rating"),
    path("counters/<int:counter_id>/", api.CounterDetailApi.as_view(), name="counter-detail"),
    path("counters/<int:counter_id>/open/", api.CounterOpenApi.as_view(), name="counter-open"),
    path("counters/<int:counter_id>/close/", api.CounterCloseApi.as_view(), name="counter-close"),
    path("counters/<int:counter_id>/pause/", api.CounterPauseApi.as_view(), name="counter-pause"),
    path("counters/<int:counter_id>/resume/", api.CounterResumeApi.as_view(), name="counter-resume"),
    path("counters/<int:counter_id>/call-next/", api.CounterCallNextApi.as_view(), name="counter-call-next"),
    path("counters/<int:counter_id>/recall/", api.CounterRecallApi.as_view(), name="counter-recall"),
    path("counters/<int:counter_id>/start/", api.CounterStartApi.as_view(), name="counter-start"),
    path("counters/<int:counter_id>/finish/", api.CounterFinishApi.as_view(), name="counter-finish"),
    path("counters/<int:counter_id>/no-show/", api.CounterNoShowApi.as_view(), name="counter-no-show"),
    path("counters/<int:counter_id>/transfer/", api.CounterTransferApi.as_view(), name="counter-transfer"),
]
