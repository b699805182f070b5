"""Configuring workflows in the admin. Secrets are write-only: the form never renders a stored
secret back (not even in a hidden field); a blank secret keeps the stored one."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.admin import ConfigurationAdmin
from slack.workflows import config
from slack.workflows.crypto import UnreadableSecret
from slack.workflows.definitions import DEFINITIONS, Parameter
from slack.workflows.keycheck import encryption_key_problem
from slack.workflows.models import EscalationTeam, StatuspageIncident, Workflow


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ["enabled"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unreadable = False
        self.definition = DEFINITIONS.get(self.instance.name)
        self.stored = self._stored_values()
        for spec in self.definition.parameters if self.definition else ():
            self.fields[spec.name] = self._field(spec)

    def _field(self, spec: Parameter) -> forms.CharField:
        if not spec.secret:
            return forms.CharField(
                label=spec.label,
                required=False,
                initial=self.stored.get(spec.name, ""),
                help_text=spec.help_text,
            )
        state = "stored; leave blank to keep it" if self.stored.get(spec.name) else "not set"
        return forms.CharField(
            label=spec.label,
            required=False,
            widget=forms.PasswordInput(render_value=False),
            help_text=f"{spec.help_text} ({state})".strip(),
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        # Disabling is always allowed: it is how one stops a workflow whose settings are broken.
        if cleaned.get("enabled") and self.definition:
            self._refuse_missing_parameters(cleaned)
        return cleaned

    def _refuse_missing_parameters(self, cleaned: dict) -> None:
        """An enabled workflow without its keys would only fail later, in front of a responder."""
        for spec in self.definition.missing_to_enable(self._values_once_saved(cleaned)):
            self.add_error(
                spec.name, f"{spec.label} is required to enable {self.definition.title}."
            )

    def _values_once_saved(self, cleaned: dict) -> dict[str, str]:
        # A blank secret keeps the stored one (see config.workflow_configure), so it counts.
        values = {}
        for spec in self.definition.parameters:
            value = cleaned.get(spec.name) or ""
            if spec.secret and not value:
                value = self.stored.get(spec.name, "")
            values[spec.name] = value
        return values

    def _stored_values(self) -> dict[str, str]:
        if not self.instance.pk:
            return {}
        try:
            return {p.name: p.value for p in self.instance.parameters.all()}
        except UnreadableSecret:
            self.unreadable = True
            return {}


@admin.register(Workflow)
class WorkflowAdmin(ConfigurationAdmin):
    form = WorkflowForm
    list_display = ["name", "enabled"]
    list_filter = ["enabled"]
    readonly_fields = ["name"]

    def get_fields(self, request, obj=None):
        definition = DEFINITIONS.get(obj.name) if obj else None
        return ["name", "enabled", *(p.name for p in definition.parameters if definition)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The parameter fields are added per workflow by WorkflowForm, not by the model.
        kwargs["fields"] = ["enabled"]
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request) -> bool:
        return False  # one row per known workflow, made by Response itself

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        config.workflow_rows_ensure()
        self._warn_about_the_key(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._warn_about_the_key(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj: Workflow, form: WorkflowForm, change: bool) -> None:
        definition = DEFINITIONS[obj.name]
        values = {spec.name: form.cleaned_data.get(spec.name, "") for spec in definition.parameters}
        config.workflow_configure(workflow=obj, enabled=form.cleaned_data["enabled"], values=values)

    def _warn_about_the_key(self, request) -> None:
        problem = encryption_key_problem()
        if problem and request.method == "GET":
            messages.error(request, problem)


class EscalationTeamForm(forms.ModelForm):
    """The routing key is write-only: never shown again, kept when left blank."""

    routing_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="The team service's Events API v2 integration key. Leave blank to keep it.",
    )

    class Meta:
        model = EscalationTeam
        fields = ["name", "summary"]

    def clean_routing_key(self) -> str:
        key = self.cleaned_data["routing_key"].strip()
        if key:
            return key
        if not self.instance.pk:
            raise forms.ValidationError("A new team needs its routing key.")
        try:
            # Blank keeps the stored key (the admin's form copies every field onto the team).
            return EscalationTeam.objects.get(pk=self.instance.pk).routing_key
        except UnreadableSecret as error:
            raise forms.ValidationError(f"{error} Enter the routing key again.") from error


@admin.register(EscalationTeam)
class EscalationTeamAdmin(ConfigurationAdmin):
    form = EscalationTeamForm
    list_display = ["name", "summary"]
    search_fields = ["name", "summary"]


@admin.register(StatuspageIncident)
class StatuspageIncidentAdmin(admin.ModelAdmin):
    """The links are made from Slack; the admin only shows them."""

    list_display = ["incident", "name", "status", "shortlink", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "statuspage_id"]
    readonly_fields = [
        "incident",
        "page_id",
        "statuspage_id",
        "name",
        "status",
        "impact",
        "shortlink",
        "created_at",
        "updated_at",
    ]
    exclude = ["last_submission", "pending_notice"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
