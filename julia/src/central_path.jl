# A Mehrotra predictor-corrector loop that stops ON the central path at a requested μ_sc.
#
# Written against Dojo v0.7.1 (tag v0.7.1, commit 7b6c368a) and checked statically against
# that tag only (julia/AUDIT.md lists every call with its file:line there); not yet run.
#
# It follows v0.7.1's own `mehrotra!` (src/solver/mehrotra.jl:9-73) call for call: reset the
# duals to the neutral point, `initialize!` the contacts, `set_entries!`; then per iteration
# save the residual (`pull_residual!`), factorize the graph system ONCE
# (GraphBasedSystems.ldu_factorization!, in place) and back-substitute TWICE with the same
# factors: the affine direction, then, after `correction!` and `push_residual!`, the corrected
# one; cone step lengths (`cone_line_search!`), backtracking (`line_search!`), `update!` and a
# fresh `set_entries!`. (v0.7.1 has no `matrix_entries` / `pull_matrix!` / `push_matrix!`,
# and `cone_line_search!` takes only the keywords τort and τsoc.)
#
# What differs from mehrotra!, and why:
#   1. mechanism.μ is 0 whenever the residual is assembled. mehrotra! leaves mechanism.μ at
#      the last target (mehrotra.jl:45) when set_entries! rebuilds the residual (:69), whose
#      contact rows are −(γ∘s − mechanism.μ e) (src/contacts/constraints.jl:74,
#      src/solver/complementarity.jl:24), so its next corrector aims at ≈ μ_{k−1} + μ_k. Here
#      the target enters only through `correction!` (src/solver/correction.jl:13-28).
#   2. the centering target is floored at μ_sc: μ_target = max(σν, μ_sc); no `undercut`
#      escalation (mehrotra.jl:44, 58-61).
#   3. the fraction to the boundary is capped at 0.995 (mehrotra.jl:51's max(0.95, 1 − vio²)
#      reaches 1 when the violations vanish, i.e. a step onto the cone boundary at μ_sc = 0).
#   4. the stopping test: Dojo's residual_violation < rtol AND every complementarity product
#      within |γ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol (mehrotra.jl:30 tests the μ-free
#      bilinear_violation < btol instead, which lands anywhere below btol).

# Result codes shared with pydojo.solver.RESULTS (pydojo/solver/results.py).
const RESULT_SUCCESSFUL = 0
const RESULT_MAX_ITERATIONS = 1
const RESULT_NONFINITE = 2

# Dojo calls ldu_factorization!/ldu_backsubstitution! from GraphBasedSystems (imported with
# `using GraphBasedSystems` in src/Dojo.jl:25); reach them through that module binding.
const GraphSystems = Dojo.GraphBasedSystems

"""
    CentralPathOptions(; rtol, comp_rtol, comp_atol, max_iter, max_ls)

rtol: bound on Dojo's residual_violation (∞-norm of the joint, body and contact equality rows);
comp_rtol, comp_atol: the band around μ_sc, |γ∘s − μ_sc e|∞ ≤ comp_rtol·μ_sc + comp_atol;
max_iter: Newton iterations; max_ls: trial steps of Dojo's backtracking `line_search!`
(full step, then halvings; it loops `for n = 1:max_ls`, so max_ls = 0 would take no step and
return (Inf, Inf): max_ls must be >= 1).
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
        max_iter >= 1 || throw(ArgumentError("CentralPathOptions: max_iter must be >= 1, got $max_iter"))
        max_ls >= 1 || throw(ArgumentError(
            "CentralPathOptions: max_ls must be an integer >= 1 (Dojo's line_search! takes no step with 0), got $max_ls"))
        return new(rtol, comp_rtol, comp_atol, max_iter, max_ls)
    end
end

CentralPathOptions(; rtol=1.0e-8, comp_rtol=1.0e-2, comp_atol=1.0e-10, max_iter=60, max_ls=10) =
    CentralPathOptions(rtol, comp_rtol, comp_atol, max_iter, max_ls)

"""
    central_path_violation(mechanism, μ) -> Float64

max over contacts and joint limits of |γ∘s − μ e|∞ at the current iterate (Dojo's
`complementarity`, which is the Jordan product for the second-order cone part of a
NonlinearContact, minus μ times Dojo's `neutral_vector`; joint limits: s∘γ − μ).
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
        Δ = Dojo.get_entry(mechanism.system, body.id).value[1:3]  # corrected direction, [Δv; Δω]
        applied = max(applied, norm(body.state.vsol[2] - body.state.vsol[1], Inf))
        full = max(full, norm(Δ, Inf))
    end
    return full > 0 ? applied / full : α
end

"""
    central_path_solve!(mechanism, μ_sc; opts=CentralPathOptions()) -> (result, iterations, trace)

Solve the one-step simulation problem already set up in `mechanism` (state and input set)
to the central-path point at μ_sc. Returns a result code (RESULT_*), the number of Newton
steps taken, and a `SolverTrace`. On return, `mechanism.system` holds the unfactorized
Jacobian from the last `set_entries!`, i.e. at the returned iterate, which is what Dojo's
gradient functions read (src/gradients/state.jl:96, `full_matrix(mechanism.system)`).
"""
function central_path_solve!(mechanism, μ_sc::Real; opts::CentralPathOptions=CentralPathOptions())
    (isfinite(μ_sc) && μ_sc >= 0) || throw(ArgumentError("μ_sc must be finite and >= 0, got $μ_sc"))
    μ_sc = Float64(μ_sc)
    # neutral starting point, as in mehrotra.jl:10-24 (no warm start)
    Dojo.reset!.(mechanism.contacts; scale=1.0)
    Dojo.reset!.(mechanism.joints; scale=1.0)
    mechanism.μ = 0.0
    Dojo.initialize!.(mechanism.contacts)
    Dojo.set_entries!(mechanism)
    rvio = Dojo.residual_violation(mechanism)
    bvio = Dojo.bilinear_violation(mechanism)
    # Dojo's line_search! reads only opts.max_ls and opts.verbose (src/solver/line_search.jl:7, 17)
    line_search_options = Dojo.SolverOptions(; max_ls=opts.max_ls, verbose=false)
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
        # predictor: Newton direction of the μ = 0 residual (mehrotra.jl:35-37)
        Dojo.pull_residual!(mechanism)                    # residual_entries ← system vector
        GraphSystems.ldu_factorization!(mechanism.system) # factorizes the matrix entries in place
        GraphSystems.ldu_backsubstitution!(mechanism.system)
        αaff = Dojo.cone_line_search!(mechanism; τort=0.95, τsoc=0.95)
        ν, νaff = Dojo.centering!(mechanism, αaff)  # NaN when there is no complementarity pair
        σ = isfinite(ν) ? clamp(νaff / (ν + 1e-20), 0.0, 1.0)^3 : 0.0
        μ_target = isfinite(ν) ? max(σ * ν, μ_sc) : μ_sc
        # corrector: Dojo adds μ_target e − Δs_aff∘Δγ_aff to the saved residual (mehrotra.jl:45-49)
        mechanism.μ = μ_target
        Dojo.correction!(mechanism)
        mechanism.μ = 0.0
        Dojo.push_residual!(mechanism)                    # system vector ← corrected residual
        GraphSystems.ldu_backsubstitution!(mechanism.system)  # same factors
        # fraction to the boundary as in mehrotra.jl:51, capped below 1
        τ = clamp(1 - max(rvio, cvio)^2, 0.95, 0.995)
        α = Dojo.cone_line_search!(mechanism; τort=τ, τsoc=min(τ, 0.95))
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
