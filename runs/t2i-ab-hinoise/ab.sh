#!/usr/bin/env bash
# A/B from the shipped t2i run's end (step 26978, 240 min): 24 more training minutes each, 1 thread each, side by side.
cd /work/main
export OMP_WAIT_POLICY=PASSIVE
run() { dotnet /work/t2ibin/flexidit.dll train-t2i --run runs/t2i-ab-$1 --depth 6 --hidden 128 --heads 4 --batch 16 --lr 2e-3 --warmup 600 --ema 0.999 \
  --min-snr 5 --grad-clip 1 --minutes 264 --cooldown-fraction 0.33 --log-every 100 --threads 1 --object-weight 0 "${@:2}" > /work/t2i-ab-$1.out 2>&1; }
run uniform &
run hinoise --high-noise-share 0.5 &
wait
