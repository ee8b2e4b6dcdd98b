bucket = "credex-terraform-state-production"
encrypt = true
key = "terraform.tfstate"
region = "af-south-1"
use_lockfile = true
