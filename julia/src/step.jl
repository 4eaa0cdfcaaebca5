# One simulation step in minimal coordinates at a requested μ_sc, with Dojo's gradients.
# Checked statically against Dojo v0.7.1 (commit 7b6c368a); see julia/AUDIT.md.
#
# Dojo's `step_minimal_coordinates!(mechanism, x, u; opts)` (src/simulation/step.jl:42-61)
# does set_maximal_state!(minimal_to_maximal(x)), set_input!, mehrotra!, then
# update_state! on every body (step.jl:53-55) BEFORE reading get_next_state. This step does
# the same set-up but solves with `central_path_solve!` and does NOT call update_state!:
#   next state  maximal_to_minimal(mechanism, get_next_state(mechanism))   src/mechanism/get.jl:126,
#               i.e. x3 = x2 + h v25 and q3 from (x2, q2, vsol[2], ωsol[2]) (src/integrators/integrator.jl:14-19).
#               After update_state! (src/bodies/set.jl:22-36) x2 would already be x3, so Dojo's own
#               step! returns positions one more h·v25 ahead.
#   Jacobians   get_minimal_gradients!(mechanism), the one-argument method (src/gradients/state.jl:199):
#               the implicit function theorem at the returned iterate (dense solve of
#               full_matrix(mechanism.system) against the data Jacobian, state.jl:78-126), chained with
#               minimal_to_maximal_jacobian / maximal_to_minimal_jacobian. It reads x1, x2, q2,
#               vsol[2], ωsol[2] of the state the step was solved from; the 3-argument method
#               (state.jl:192) would re-solve with mehrotra! and read the state after update_state!.
#               μ_sc enters only through the point it is evaluated at (∂μ/∂(x,u) is not included).
# Inputs u are Dojo's: for a Floating joint (sphere, block, ant base) [force; torque], both in
# the parent's frame, i.e. the world frame for a child of the origin (src/joints/translational/input.jl:5-27,
# src/joints/rotational/input.jl:5-17: the body receives R(q2)ᵀ τ h). Dojo caches that impulse in
# state.Jτ2 and its data Jacobian has no term for its dependence on q2 (input_jacobian_configuration is
# never called at v0.7.1), so jacobian_state is exact for a BODY-frame torque held fixed; pydojo
# converts its body-frame torques before calling (pydojo/backends/dojo_layout.py: dojo_inputs).

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

One step from minimal state `x` under Dojo's input `u` (forces/torques per joint in
`mechanism.joints` order, in each joint's parent frame; Dojo scales them by `input_scaling`,
the timestep by default), solved to the central path at `μ_sc`.
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
