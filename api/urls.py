"""Routes under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.views.accounts import MeView, TokenViewSet

router = DefaultRouter(use_regex_path=False)
router.include_root_view = False
router.register("auth/tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
