# Per-iteration record of the central-path solve (what `python -m pydojo.debug_solver` prints).
# Row k describes iterate k: its residuals, then the step taken from it (NaN on the last row,
# where the stopping test passed). Keys match pydojo.solver's trace: eq_residual,
# comp_residual, mu_target, sigma, alpha.

"""Per-iteration solver trace; every field is a vector with one entry per iterate."""
struct SolverTrace
    eq_residual::Vector{Float64}       # Dojo's residual_violation (∞-norm of the equality rows)
    comp_residual::Vector{Float64}     # max |γ∘s − μ_sc e| over contacts and joint limits
    bilinear_residual::Vector{Float64} # Dojo's bilinear_violation (max |γ∘s|, without μ)
    mu_target::Vector{Float64}         # centering target max(σν, μ_sc)
    sigma::Vector{Float64}             # Mehrotra centering parameter (ν_aff/ν)^3
    alpha_affine::Vector{Float64}      # cone step length of the affine direction
    alpha::Vector{Float64}             # cone step length of the corrected direction
    step::Vector{Float64}              # step actually applied after Dojo's backtracking line search
end

SolverTrace() = SolverTrace((Float64[] for _ in 1:fieldcount(SolverTrace))...)

function record_iterate!(trace::SolverTrace, eq, comp, bilinear)
    push!(trace.eq_residual, eq)
    push!(trace.comp_residual, comp)
    push!(trace.bilinear_residual, bilinear)
    for field in (:mu_target, :sigma, :alpha_affine, :alpha, :step)
        push!(getfield(trace, field), NaN)
    end
    return trace
end

function record_step!(trace::SolverTrace; mu_target, sigma, alpha_affine, alpha, step)
    trace.mu_target[end] = mu_target
    trace.sigma[end] = sigma
    trace.alpha_affine[end] = alpha_affine
    trace.alpha[end] = alpha
    trace.step[end] = step
    return trace
end

"""The trace as a Dict of vectors (what crosses to Python)."""
trace_dict(trace::SolverTrace) =
    Dict{String,Vector{Float64}}(String(field) => getfield(trace, field) for field in fieldnames(SolverTrace))
