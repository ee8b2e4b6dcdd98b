"""What the "behind its branch" notification says: environment, branch tip, the failed run and its error."""


def behind_text(
    environment: str, branch: str, tip: str, run_id: str, reason: str, run_url: str | None
) -> str:
    link = f"<{run_url}|Open run {run_id[:8]} in Dagster>" if run_url else f"run {run_id}"
    return "\n".join(
        [
            f":warning: *{environment}* is behind its branch `{branch}` (tip {tip[:12]})",
            f"• the last deploy failed: {reason}",
            "• nothing deploys it again until the next push or a deploy by hand",
            link,
        ]
    )


def caught_up_text(environment: str, branch: str, run_id: str) -> str:
    return f":white_check_mark: *{environment}* caught up with `{branch}`: run {run_id[:8]} succeeded"
