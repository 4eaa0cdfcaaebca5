# A Mehrotra predictor-corrector loop that stops ON the central path at a requested μ_sc.
#
# Dojo's own `mehrotra!` (src/solver/mehrotra.jl) stops when rvio < rtol and the μ-free
# bilinear violation max|γ∘s| < btol, so `btol = μ_sc` lands anywhere below μ_sc; its
# centering target is max(σν, btol/undercut) with `undercut` escalated on "no progress", and
# `mechanism.μ` is left at the previous target while the next residual is built. This loop
# reuses Dojo's building blocks and changes only these decisions:
#   1. the residual is always assembled with mechanism.μ = 0 (a true affine predictor), and
#      the target enters only through Dojo's corrector `correction!` (src/solver/correction.jl);
#   2. the centering target is floored at μ_sc: μ_target = max(σν, μ_sc), no undercut;
#   3. the fraction to the boundary is capped at 0.995 (Dojo's max(0.95, 1 − vio²) can reach 1);
#   4. stop when Dojo's residual_violation < rtol AND every complementarity product is within
#      the band |γ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol (e: Dojo's neutral_vector).
# Building blocks called (Dojo v0.7.1 paths):
#   reset!                                                   src/contacts/constraint.jl (joints: src/joints/)
#   set_entries!, pull_residual!, push_residual!,
#   pull_matrix!, push_matrix!, update!                      src/solver/linear_system.jl
#   ldu_factorization!, ldu_backsubstitution!                GraphBasedSystems, as called in src/solver/mehrotra.jl
#   cone_line_search!, line_search!                          src/solver/line_search.jl
#   centering!                                               src/solver/centering.jl
#   correction!                                              src/solver/correction.jl
#   residual_violation, bilinear_violation                   src/solver/violations.jl
#   complementarity                                          src/solver/complementarity.jl
#   neutral_vector                                           src/contacts/{impact,linear,nonlinear}.jl

# Result codes shared with pydojo.solver.RESULTS (pydojo/solver/results.py).
const RESULT_SUCCESSFUL = 0
const RESULT_MAX_ITERATIONS = 1
const RESULT_NONFINITE = 2

"""
    CentralPathOptions(; rtol, comp_rtol, comp_atol, max_iter, max_ls)

rtol: bound on Dojo's residual_violation (∞-norm of the joint, body and contact equality rows);
comp_rtol, comp_atol: the band around μ_sc, |γ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol;
max_iter: Newton iterations; max_ls: halvings in Dojo's backtracking line search.
"""
struct CentralPathOptions
    rtol::Float64
    comp_rtol::Float64
    comp_atol::Float64
    max_iter::Int
    max_ls::Int
    function CentralPathOptions(rtol, comp_rtol, comp_atol, max_iter, max_ls)
        (rtol > 0 && comp_rtol > 0 && comp_atol >= 0) || throw(ArgumentError(
            "CentralPathOptions: need rtol > 0, comp_rtol > 0, comp_atol >= 0; got $rtol, $comp_rtol, $comp_atol"))
        (max_iter >= 1 && max_ls >= 0) || throw(ArgumentError(
            "CentralPathOptions: need max_iter >= 1 and max_ls >= 0; got $max_iter, $max_ls"))
        return new(rtol, comp_rtol, comp_atol, max_iter, max_ls)
    end
end

CentralPathOptions(; rtol=1.0e-8, comp_rtol=1.0e-2, comp_atol=1.0e-10, max_iter=60, max_ls=10) =
    CentralPathOptions(rtol, comp_rtol, comp_atol, max_iter, max_ls)

"""
    central_path_violation(mechanism, μ) -> Float64

max over contacts and joint limits of |γ∘s − μ e|∞ at the current iterate (Dojo's
`complementarity`, which is the Jordan product for the second-order cone part of a
NonlinearContact, minus μ times Dojo's `neutral_vector`).
"""
function central_path_violation(mechanism, μ::Real)
    violation = 0.0
    for contact in mechanism.contacts
        products = Dojo.complementarity(mechanism, contact)
        violation = max(violation, norm(products - μ * Dojo.neutral_vector(contact.model), Inf))
    end
    for joint in mechanism.joints
        products = Dojo.complementarity(mechanism, joint)  # s∘γ of the joint limits (empty without limits)
        isempty(products) || (violation = max(violation, norm(products .- μ, Inf)))
    end
    return violation
end

"""Fraction of the corrected step that Dojo's backtracking `line_search!` kept (α / 2^k)."""
function applied_step(mechanism, α)
    applied, full = 0.0, 0.0
    for body in mechanism.bodies
        Δ = Dojo.get_entry(mechanism.system, body.id).value[1:3]
        applied = max(applied, norm(body.state.vsol[2] - body.state.vsol[1], Inf))
        full = max(full, norm(Δ, Inf))
    end
    return full > 0 ? applied / full : α
end

"""
    central_path_solve!(mechanism, μ_sc; opts=CentralPathOptions()) -> (result, iterations, trace)

Solve the one-step simulation problem already set up in `mechanism` (state and input set)
to the central-path point at μ_sc. Returns a result code (RESULT_*), the number of Newton
steps taken, and a `SolverTrace`. On return, `mechanism.system` holds the (unfactorized)
Jacobian at the returned iterate, which is what Dojo's gradient functions read.
"""
function central_path_solve!(mechanism, μ_sc::Real; opts::CentralPathOptions=CentralPathOptions())
    (isfinite(μ_sc) && μ_sc >= 0) || throw(ArgumentError("μ_sc must be finite and >= 0, got $μ_sc"))
    μ_sc = Float64(μ_sc)
    # neutral starting point, as in mehrotra! (no warm start)
    Dojo.reset!.(mechanism.contacts, scale=1.0)
    Dojo.reset!.(mechanism.joints, scale=1.0)
    mechanism.μ = 0.0
    Dojo.set_entries!(mechanism)
    rvio = Dojo.residual_violation(mechanism)
    bvio = Dojo.bilinear_violation(mechanism)
    # Dojo's line_search! reads only max_ls and verbose from its options
    line_search_options = Dojo.SolverOptions(max_ls=opts.max_ls, verbose=false)
    trace = SolverTrace()
    result, iterations = RESULT_MAX_ITERATIONS, 0
    for n in 1:opts.max_iter
        cvio = central_path_violation(mechanism, μ_sc)
        record_iterate!(trace, rvio, cvio, bvio)
        if !(isfinite(rvio) && isfinite(cvio))
            result = RESULT_NONFINITE
            break
        end
        if rvio < opts.rtol && cvio <= opts.comp_rtol * μ_sc + opts.comp_atol
            result = RESULT_SUCCESSFUL
            break
        end
        n == opts.max_iter && break
        # predictor: Newton direction of the μ = 0 residual
        Dojo.pull_residual!(mechanism)
        Dojo.ldu_factorization!(mechanism.system)
        Dojo.pull_matrix!(mechanism)
        Dojo.ldu_backsubstitution!(mechanism.system)
        αaff = Dojo.cone_line_search!(mechanism; τort=0.95, τsoc=0.95, scaling=false)
        ν, νaff = Dojo.centering!(mechanism, αaff)  # NaN when there is no complementarity pair
        σ = isfinite(ν) ? clamp(νaff / (ν + 1e-20), 0.0, 1.0)^3 : 0.0
        μ_target = isfinite(ν) ? max(σ * ν, μ_sc) : μ_sc
        # corrector: Dojo adds μ_target e − Δs_aff∘Δγ_aff to the stored residual
        mechanism.μ = μ_target
        Dojo.correction!(mechanism)
        mechanism.μ = 0.0
        Dojo.push_residual!(mechanism)
        Dojo.push_matrix!(mechanism)
        Dojo.ldu_backsubstitution!(mechanism.system)
        # fraction to the boundary as in mehrotra!, capped below 1 so that μ_sc = 0 never lands on it
        τ = clamp(1 - max(rvio, cvio)^2, 0.95, 0.995)
        α = Dojo.cone_line_search!(mechanism; τort=τ, τsoc=min(τ, 0.95), scaling=false)
        rvio, bvio = Dojo.line_search!(mechanism, α, rvio, bvio, line_search_options)
        record_step!(trace; mu_target=μ_target, sigma=σ, alpha_affine=αaff, alpha=α, step=applied_step(mechanism, α))
        iterations = n
        Dojo.update!.(mechanism.bodies)
        Dojo.update!.(mechanism.joints)
        Dojo.update!.(mechanism.contacts)
        Dojo.set_entries!(mechanism)  # fresh residual and Jacobian at the new iterate (mechanism.μ = 0)
    end
    return result, iterations, trace
end
