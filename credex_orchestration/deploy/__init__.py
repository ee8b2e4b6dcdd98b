"""The one Terraform step every component uses, in the order it happens: typed run config (`config`),
existing resources imported (`imports`), guards (`guards`), plan -> apply -> outputs (`step`)."""
