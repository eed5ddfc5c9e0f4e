"""The CycleGAN trainer: data, losses, image pool, schedule, the loop and the exporter."""
