bucket = "credex-terraform-state-staging"
encrypt = true
key = "terraform.tfstate"
region = "af-south-1"
use_lockfile = true
