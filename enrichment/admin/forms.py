"""Forms of the curator admin: the track form (locks as checkboxes) and the lock action's form."""

from __future__ import annotations

from typing import Any

from django import forms

from enrichment.models import LOCKABLE_FIELDS, Track

LOCK_CHOICES = [(name, name.replace("_", " ")) for name in LOCKABLE_FIELDS]


class TrackForm(forms.ModelForm):
    """The track form, with locks chosen from the known fields instead of typed."""

    locked_fields = forms.MultipleChoiceField(
        choices=LOCK_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "sn-lock-choices"}),
        help_text="Locked fields are never overwritten by enrichment. "
        "Fields you edit here are locked when you save.",
    )

    class Meta:
        model = Track
        fields = (*LOCKABLE_FIELDS, "locked_fields")


class LockFieldsForm(forms.Form):
    """Which fields to lock or unlock on the chosen tracks."""

    operation = forms.ChoiceField(
        choices=[("lock", "Lock"), ("unlock", "Unlock")], widget=forms.RadioSelect, initial="lock"
    )
    names = forms.MultipleChoiceField(
        label="Fields",
        choices=LOCK_CHOICES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "sn-lock-choices"}),
    )

    def chosen(self) -> tuple[str, list[str]]:
        """The operation and the fields, once valid."""
        data: dict[str, Any] = self.cleaned_data
        return data["operation"], list(data["names"])
