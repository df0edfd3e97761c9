"""Hyperparameter variants that exercise every optimizer's code paths, shared by tests."""

VARIANTS = {
    # every optimizer but Newton, each flag and weight decay of either kind; betas with
    # β₁ < 0.5 take the other branch of torch's lerp
    "sgd": [{"lr": 1e-4}, {"lr": 1e-4, "momentum": 0.9}, {"lr": 1e-4, "momentum": 0.9, "nesterov": True},
            {"lr": 2e-4, "momentum": 0.5, "dampening": 0.3}, {"lr": 1e-4, "weight_decay": 0.1},
            {"lr": 1e-5, "maximize": True}],
    "adam": [{"lr": 0.01}, {"lr": 0.02, "betas": (0.3, 0.9), "eps": 1e-4}, {"lr": 0.01, "amsgrad": True},
             {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
             {"lr": 0.01, "maximize": True}],
    "adamw": [{"lr": 0.01}, {"lr": 0.01, "amsgrad": True}, {"lr": 0.01, "weight_decay": 0.0}],
    "nadam": [{"lr": 0.01}, {"lr": 0.01, "betas": (0.3, 0.9)}, {"lr": 0.01, "weight_decay": 0.1},
              {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}],
    "radam": [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1},
              {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}],
    "adamax": [{"lr": 0.01}, {"lr": 0.01, "betas": (0.3, 0.9), "weight_decay": 0.1}],
    "adagrad": [{"lr": 0.05}, {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
                {"lr": 0.05, "weight_decay": 0.1}],
    "rmsprop": [{"lr": 1e-3}, {"lr": 1e-3, "centered": True}, {"lr": 1e-4, "momentum": 0.9},
                {"lr": 1e-4, "momentum": 0.9, "centered": True, "alpha": 0.3},
                {"lr": 1e-3, "weight_decay": 0.1}],
    "adadelta": [{}, {"rho": 0.3, "weight_decay": 0.1}],
    "lion": [{"lr": 1e-3}, {"lr": 1e-3, "weight_decay": 0.5}],
}  # fmt: skip
