# Contact state after a step, read from the solution variables of each ContactConstraint
# (src/contacts/constructor.jl:14-28 at Dojo v0.7.1: `impulses[2]` = γ, `impulses_dual[2]` = s).
#
# All three contact models have the first constraint row d − s₁ = 0 with d the signed
# distance at the next configuration (src/contacts/nonlinear.jl:72, linear.jl:97, impact.jl:52),
# so φ = s₁ (to the solver's rtol) and γₙ = γ₁. Friction impulses:
#   NonlinearContact γ = [γₙ, ψ, β₁, β₂] (second-order cone; ψ = μ_f γₙ) -> β = γ[3:4]
#   LinearContact    γ = [γₙ, ψ, β₁..β₄] (pyramid, linear.jl:89-94)     -> β = γ[3:6]
#   ImpactContact    γ = [γₙ]                                            -> no friction
# The solver resets γ and s at the start of the next solve, so read them right after it.

contact_model_name(contact) =
    contact.model isa Dojo.NonlinearContact ? "nonlinear" :
    contact.model isa Dojo.LinearContact ? "linear" :
    contact.model isa Dojo.ImpactContact ? "impact" : string(nameof(typeof(contact.model)))

function friction_dimension(contact)
    name = contact_model_name(contact)
    return name == "nonlinear" ? 2 : name == "linear" ? 4 : 0
end

"""
    contact_state(mechanism) -> (phi, gamma, friction)

phi: (nc,) signed distances after the step; gamma: (nc,) normal impulses (force × timestep);
friction: (nc, nd) friction impulses, nd = 2 (nonlinear cone), 4 (linear pyramid) or 0 (impact).
"""
function contact_state(mechanism)
    contacts = mechanism.contacts
    nc = length(contacts)
    nd = nc == 0 ? 0 : friction_dimension(first(contacts))
    phi, gamma, friction = zeros(nc), zeros(nc), zeros(nc, nd)
    for (i, contact) in enumerate(contacts)
        γ = contact.impulses[2]
        s = contact.impulses_dual[2]
        phi[i] = s[1]
        gamma[i] = γ[1]
        nd > 0 && (friction[i, :] = γ[3:2+nd])
    end
    return phi, gamma, friction
end

"""
    contact_distances(mechanism, x) -> Vector{Float64}

Signed distance of every contact at minimal state `x` (no step taken): Dojo's
`distance(collision, xp, qp, xc, qc)` (src/contacts/collisions/sphere_halfspace.jl:33, as
called by the contact constraints, e.g. src/contacts/nonlinear.jl:62) at each body's current
configuration (`state.x2`, `state.q2`; the child of a contact is the origin, child_id 0,
src/contacts/constructor.jl:125, which `get_body` maps to `mechanism.origin`, src/mechanism/get.jl:44).
Used for the φ of a state that has not been stepped yet.
"""
function contact_distances(mechanism, x::AbstractVector)
    x = Vector{Float64}(x)
    length(x) == Dojo.minimal_dimension(mechanism) || throw(DimensionMismatch(
        "state has length $(length(x)), this mechanism's minimal state has $(Dojo.minimal_dimension(mechanism))"))
    Dojo.set_maximal_state!(mechanism, Dojo.minimal_to_maximal(mechanism, x))
    distances = zeros(length(mechanism.contacts))
    for (i, contact) in enumerate(mechanism.contacts)
        parent = Dojo.get_body(mechanism, contact.parent_id)
        child = Dojo.get_body(mechanism, contact.child_id)
        distances[i] = Dojo.distance(contact.model.collision,
            parent.state.x2, parent.state.q2, child.state.x2, child.state.q2)
    end
    return distances
end
