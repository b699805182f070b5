"""Domain errors as API answers: the services' refusals become 400 or 409, never a 500.

403 is for a permission the person lacks (SPEC §18), named in ``permission``; 409 is for a
request that conflicts with the incident's state (already closed; a status move the
table does not allow, with ``allowed`` listing the moves that are); 400 for everything else.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.access import PermissionRefused
from core.exceptions import ApplicationError, IncidentAlreadyClosed
from core.services import TransitionRefused


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionRefused):
        return Response(
            {"detail": exc.message, "permission": str(exc.permission)},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, IncidentAlreadyClosed):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TransitionRefused):
        # The incident's status conflicts with the move; the client can pick an allowed one.
        return Response(
            {"detail": exc.message, "allowed": list(exc.allowed)}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def _validation_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in exc.message_dict.items()
    }
