"""Contact tasks on the JAX engine (ball, block, hopper, halfcheetah, ant). Registered on import."""
