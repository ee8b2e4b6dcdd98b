"""A failed component step says what is wrong first, whole, with its remedy (lib/remedies.py).

The step's error is the first error a person reads on the run page and in Slack; Terraform's own message
follows the cause, uncut. The original exception stays attached as the cause.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from dagster import Failure

from ..lib.aws import AwsAccountMismatch
from ..lib.remedies import explain, remedy_for
from ..lib.terraform import TerraformError

Step = TypeVar("Step", bound=Callable[..., Any])


def explained_failures(step: Step) -> Step:
    """Re-raise a known Terraform or AWS failure of `deploy_component` as a Failure that names the cause."""

    @functools.wraps(step)
    def wrapper(context, environment, component, *args, **kwargs):
        try:
            return step(context, environment, component, *args, **kwargs)
        except (TerraformError, AwsAccountMismatch) as error:
            message = str(error)
            if remedy_for(message) is None:
                raise
            raise Failure(
                description=explain(f"{environment.name}/{component}", message), allow_retries=False
            ) from error

    return wrapper  # type: ignore[return-value]
