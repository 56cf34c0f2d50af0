"""Settings for commands: a bad environment value ends the command with one clear line."""

from __future__ import annotations

import click

from cloudmetrics.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_environ()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
