from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

_clerk_id = RegexValidator(r"^[A-Za-z0-9_-]{1,64}$", "Use 1–64 letters, digits, '_' or '-'.")


class DevSignInForm(forms.Form):
    """Who to be in development sign-in mode: a user id and, optionally, an active organization and role."""

    user_id = forms.CharField(max_length=64, validators=[_clerk_id], initial="user_dev", label="User id")
    org_id = forms.CharField(max_length=64, validators=[_clerk_id], required=False, label="Organization id")
    org_slug = forms.SlugField(max_length=64, required=False, label="Organization slug")
    org_role = forms.ChoiceField(
        choices=[("org:admin", "admin"), ("org:member", "member")],
        required=False,
        initial="org:admin",
        label="Role in the organization",
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
