"""Operations on deployed environments: backups, orphan cleanup, the deploy policy, state locks, key age."""
