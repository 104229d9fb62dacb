"""Non-finite weights for the tests that follow NaN and inf through the operations: written into
a model of either engine in place, since ``load_state_dict`` refuses them."""

import torch


def put_weights(model, state):
    """Write ``state`` (name -> NumPy array) into ``model``'s parameters in place."""
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            for name, param in model.named_parameters():
                param.copy_(torch.from_numpy(state[name]))
    else:
        for name, param in model.parameters().items():
            param[...] = state[name]
