"""The rehearsal: the real Terraform roots and the real AWS provider against emulated AWS, on one machine.

`python -m credex_orchestration.rehearsal` (what `bash scripts/dev` runs by default) starts moto on a free
loopback port with the few AWS behaviours moto lacks put back (`moto_server`), prepares what an AWS account
holds before a first deploy (`seed`), starts a loopback stand-in for the credex-core API that speaks its
measured contract (`api_stand_in`), and runs `dg dev` pointed at all of it: pressing Materialize on
`development` builds the environment with the real roots, checks included. Nothing reaches real AWS: the
process has placeholder credentials and every endpoint is moto's.
"""
