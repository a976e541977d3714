from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import DomainError, NotFound, Pagination
from config.ratelimit import client_address, rate_limit_hit

from .models import Outlet
from .selectors import outlet_detail, outlet_is_open, outlet_list
from .serializers import (
    AuthTokenInSerializer,
    AuthTokenOutSerializer,
    OutletDetailSerializer,
    OutletListQuerySerializer,
    OutletSerializer,
)


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    message = "用户名或密码错误 / Wrong username or password."
    status = 400


class AuthTokenApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(request=AuthTokenInSerializer, responses=AuthTokenOutSerializer, summary="Staff sign-in token")
    def post(self, request):
        data = AuthTokenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rate_limit_hit(scope="login", key=client_address(request), limit=30, window_seconds=300)
        user = authenticate(request, username=data.validated_data["username"], password=data.validated_data["password"])
        if user is None or not user.is_active or not (user.is_staff or user.is_superuser or user.memberships.exists()):
            raise InvalidCredentials()
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class OutletListApi(APIView):
    permission_classes = []
    pagination_class = Pagination

    @extend_schema(parameters=[OutletListQuerySerializer], responses=OutletSerializer(many=True), summary="Outlets")
    def get(self, request):
        query = OutletListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        outlets = outlet_list(**query.validated_data)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(outlets, request, view=self)
        return paginator.get_paginated_response(OutletSerializer(page, many=True).data)


class OutletDetailApi(APIView):
    permission_classes = []

    @extend_schema(responses=OutletDetailSerializer, summary="An outlet with its services and counters")
    def get(self, request, code):
        try:
            outlet = outlet_detail(code=code)
        except Outlet.DoesNotExist:
            raise NotFound("No such outlet.") from None
        outlet.is_open_now = outlet_is_open(outlet)
        return Response(OutletDetailSerializer(outlet).data)
