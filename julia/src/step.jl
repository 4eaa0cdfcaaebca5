# One simulation step in minimal coordinates at a requested μ_sc, with Dojo's gradients.
#
# Dojo's `step!(mechanism, z, u; opts)` (src/simulation/step.jl) runs `mehrotra!`; this
# does the same set-up (set_maximal_state!, set_input!) but solves with
# `central_path_solve!`, then reads:
#   next state  maximal_to_minimal(mechanism, get_next_state(mechanism))  src/mechanism/state.jl
#   Jacobians   get_minimal_gradients!(mechanism)  src/gradients/state.jl: the implicit
#               function theorem applied to the residual at the returned iterate (dense
#               solve of Dojo's solution matrix against its data Jacobian), chained with
#               minimal_to_maximal_jacobian / maximal_to_minimal_jacobian. μ_sc enters only
#               through the point it is evaluated at (∂μ/∂(x,u) is not included).
# Dojo's step! also calls update_state! on each body, which shifts the stored "current"
# state; this step does not, so get_minimal_gradients!(mechanism) sees the state it was given.

"""Everything one step returns to Python."""
struct StepResult
    next_state::Vector{Float64}         # minimal state after the step (Dojo's layout)
    jacobian_state::Matrix{Float64}     # ∂next_state/∂state  (n × n), empty if gradients=false
    jacobian_control::Matrix{Float64}   # ∂next_state/∂input  (n × m), empty if gradients=false
    phi::Vector{Float64}                # contact signed distances after the step
    gamma::Vector{Float64}              # normal impulses
    friction::Matrix{Float64}           # friction impulses (nc × nd)
    result::Int                         # RESULT_* code
    iterations::Int
    eq_residual::Float64                # Dojo's residual_violation at the returned iterate
    comp_residual::Float64              # |γ∘s − μ_sc e|∞ at the returned iterate
    mu::Float64
    trace::Dict{String,Vector{Float64}}
end

function check_dimensions(mechanism, x, u)
    n, m = Dojo.minimal_dimension(mechanism), Dojo.input_dimension(mechanism)
    length(x) == n || throw(DimensionMismatch("state has length $(length(x)), this mechanism's minimal state has $n"))
    length(u) == m || throw(DimensionMismatch("input has length $(length(u)), this mechanism has $m inputs"))
    all(isfinite, x) || throw(ArgumentError("state contains NaN or Inf"))
    all(isfinite, u) || throw(ArgumentError("input contains NaN or Inf"))
    return nothing
end

"""
    step_minimal!(mechanism, x, u, μ_sc; opts=CentralPathOptions(), gradients=true) -> StepResult

One step from minimal state `x` under input `u` (forces/torques; Dojo scales them by
`input_scaling`, the timestep by default), solved to the central path at `μ_sc`.
"""
function step_minimal!(mechanism, x::AbstractVector, u::AbstractVector, μ_sc::Real;
        opts::CentralPathOptions=CentralPathOptions(), gradients::Bool=true)
    x, u = Vector{Float64}(x), Vector{Float64}(u)
    check_dimensions(mechanism, x, u)
    Dojo.set_maximal_state!(mechanism, Dojo.minimal_to_maximal(mechanism, x))
    Dojo.set_input!(mechanism, u)
    result, iterations, trace = central_path_solve!(mechanism, μ_sc; opts)
    eq_residual = Dojo.residual_violation(mechanism)
    comp_residual = central_path_violation(mechanism, μ_sc)
    phi, gamma, friction = contact_state(mechanism)
    next_state = Vector{Float64}(Dojo.maximal_to_minimal(mechanism, Dojo.get_next_state(mechanism)))
    if gradients
        jacobian_state, jacobian_control = Dojo.get_minimal_gradients!(mechanism)
    else
        jacobian_state, jacobian_control = zeros(0, 0), zeros(0, 0)
    end
    return StepResult(next_state, Matrix{Float64}(jacobian_state), Matrix{Float64}(jacobian_control),
        phi, gamma, friction, result, iterations, eq_residual, comp_residual, Float64(μ_sc), trace_dict(trace))
end
