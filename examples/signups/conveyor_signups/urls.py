"""Mounted by Conveyor under /apps/signups/."""

from rest_framework.routers import SimpleRouter

from conveyor_signups.views import SignupViewSet

router = SimpleRouter()
router.register("signups", SignupViewSet, basename="signup")
urlpatterns = router.urls
