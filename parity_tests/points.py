"""The suite's name for ``numpy_impl.gradcheck.points``: the test points where hand-written
backward passes break, in the package because ``paritynets-mutate`` builds its cases from them."""

from numpy_impl.gradcheck.points import after_sgd_steps, classifier_batch, exact_zero_point, huge_logit_state  # noqa: F401
