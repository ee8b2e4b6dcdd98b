"""Slack through dagster-slack, optional: without a token the notifier is off and posts nothing."""

import re

from dagster import EnvVar
from dagster_slack import SlackResource
from pydantic import Field, field_validator
from slack_sdk.web.client import WebClient

SLACK_API = "https://slack.com/api/"


class SlackNotifier(SlackResource):
    """dagster-slack's resource with an optional token, a channel and the links back to the UI.

    Nothing here talks to Slack until `post` is called: building the resource makes no network call.
    """

    token: str | None = Field(  # type: ignore[assignment]  # optional here: no token, no notifications
        default=None, description="Bot token (EnvVar SLACK_BOT_TOKEN); unset turns notifications off."
    )
    channel: str = Field(default="#credex-deploys", description="Channel that receives failure messages.")
    base_url: str = Field(default=SLACK_API, description="Slack Web API base URL (a stand-in in tests).")
    webserver_url: str | None = Field(
        default=None, description="Base URL of the Dagster UI, for links to runs (DAGSTER_WEBSERVER_URL)."
    )

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        """Checked when the code location loads, not when the first failure is posted."""
        if not re.fullmatch(r"#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{8,}", value or ""):
            raise ValueError(
                f"Slack channel {value!r} (CREDEX_SLACK_CHANNEL): give '#name' (lower case) or a channel ID"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?/", value or ""):
            raise ValueError(f"Slack API URL {value!r} (SLACK_API_URL): an http(s) URL ending in '/'")
        return value

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def get_client(self) -> WebClient:
        return WebClient(token=self.token, base_url=self.base_url)

    def run_url(self, run_id: str) -> str | None:
        return f"{self.webserver_url.rstrip('/')}/runs/{run_id}" if self.webserver_url else None

    def post(self, text: str) -> None:
        self.get_client().chat_postMessage(channel=self.channel, text=text, unfurl_links=False)


def slack_notifier() -> SlackNotifier:
    """The notifier as deployed: the token stays an EnvVar (the UI shows its name, never its value)."""
    token = EnvVar("SLACK_BOT_TOKEN")
    return SlackNotifier(
        token=token if token.get_value() else None,
        channel=EnvVar("CREDEX_SLACK_CHANNEL").get_value("#credex-deploys"),
        base_url=EnvVar("SLACK_API_URL").get_value(SLACK_API),
        webserver_url=EnvVar("DAGSTER_WEBSERVER_URL").get_value(),
    )
