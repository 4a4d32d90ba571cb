"""Staff feed of the outbox: ``GET /events/`` lets a receiver reconcile what its webhooks missed."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAdminUser

from shop.core.views import NoStoreMixin

from .. import selectors
from .examples import EVENT_PAGE_EXAMPLE
from .filters import EventFilter
from .serializers import EventOutput


class EventListApi(NoStoreMixin, ListAPIView):
    permission_classes = (IsAdminUser,)
    serializer_class = EventOutput
    filterset_class = EventFilter

    def get_queryset(self):
        return selectors.event_list()

    @extend_schema(tags=["events and webhooks (staff)"], summary="Committed events (staff)",
                   examples=[EVENT_PAGE_EXAMPLE])
    def get(self, request, *args, **kwargs):
        """Staff only. Every event the shop committed, oldest first: the same events the webhooks deliver, with
        the same ids. A receiver that was down asks for `?after=<the last number it processed>` (and `type=` to
        narrow it) and pages through. Numbers increase in the order events were written; a transaction still
        open may commit a lower number a moment later, so reconcile from a little before your last number and
        skip ids you already have."""
        return super().get(request, *args, **kwargs)
