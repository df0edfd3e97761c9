"""Side panels: optimizers, surface, batch mode, runner status."""
