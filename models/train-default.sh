#!/bin/sh
# Reproduces the three shipped models (`npm run train:default`). Wall times on the development
# machine (2 shared cores, wasm backend) are in models/README.md. Training is deterministic for a
# seed on one backend; the checkpoints are removed at the end (they hold optimizer state).
set -eu
cd "$(dirname "$0")/.."
CLI="node bin/faas-autoscaler.js"
COMMON="--trace traces/azure2019/invitro_sample250_min480-959 --seed 1 --envs 8 --rollout-steps 32 --minibatches 2 --eval-every 20"

# LSTM-PPO+ as shipped (ADR 012): extended features, utilisation5 actions read by their mean,
# slo-cost reward, 120 s declared scale-down stabilization, γ 0.9 (the paper's LSTM 256).
$CLI train --algo lstm-ppo-plus $COMMON --steps 60000 --features extended --actions utilisation5 \
  --decision mean --scale-down-stabilization 120 --reward slo-cost --violation-weight 4 \
  --lr 0.001 --gamma 0.9 --gae-lambda 0.9 --out models/lstm-ppo-plus
# LSTM-PPO (Agarwal et al.) and PPO as published (ADR 005): their features, delta5, their rewards.
$CLI train --algo lstm-ppo $COMMON --steps 40000 --out models/lstm-ppo
$CLI train --algo ppo $COMMON --steps 60000 --out models/ppo

rm -rf models/lstm-ppo-plus/checkpoint models/lstm-ppo/checkpoint models/ppo/checkpoint
