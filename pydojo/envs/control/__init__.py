"""Control tasks for optimization-based policies (cartpole, arm, quadrotor). Registered on import."""
