# Construction of the mechanisms pydojo offers through this backend.
# Checked statically against Dojo v0.7.1 (commit 7b6c368a); DojoEnvironments/src at that
# commit is the same tree as tag DojoEnvironments_v0.5.2 (only Project.toml files differ).
#
# `DojoEnvironments.get_mechanism(model; kwargs...)` (DojoEnvironments/src/mechanisms.jl:9)
# calls `get_<model>(; kwargs...)` from DojoEnvironments/src/mechanisms/<model>/mechanism.jl.
# The keyword names below are ones those constructors declare:
#   get_sphere (sphere/mechanism.jl:1), get_block (block/mechanism.jl:1):
#       timestep, gravity, friction_coefficient, contact_type (:nonlinear|:linear|:impact)
#   get_pendulum (pendulum/mechanism.jl:1): timestep, gravity (no contacts)
#   get_hopper (hopper/mechanism.jl:1), get_halfcheetah (halfcheetah/mechanism.jl:1),
#   get_ant (ant/mechanism.jl:1): timestep, gravity, friction_coefficient (no contact_type:
#       contact_constraint's default, the nonlinear second-order cone, src/contacts/constructor.jl:105-127)
# `initialize!(mechanism, model; kwargs...)` is a method DojoEnvironments adds to Dojo's own
# function (`Dojo.initialize!`, DojoEnvironments/src/mechanisms.jl:24), so it is called as such.

"""Keyword arguments each supported mechanism accepts through `make_mechanism`."""
# (sphere's mass, radius and block's mass, edge_length: get_sphere(; mass=1, radius=0.5) at
# sphere/mechanism.jl:5-6, get_block(; mass=1, edge_length=0.5) at block/mechanism.jl:5-6; added for
# pydojo's ball/block environments, not run: no Julia where they were added.)
const MECHANISM_KEYWORDS = Dict{Symbol,Tuple{Vararg{Symbol}}}(
    :sphere => (:timestep, :gravity, :friction_coefficient, :contact_type, :radius, :mass),
    :block => (:timestep, :gravity, :friction_coefficient, :contact_type, :edge_length, :mass),
    :pendulum => (:timestep, :gravity),
    :hopper => (:timestep, :gravity, :friction_coefficient),
    :halfcheetah => (:timestep, :gravity, :friction_coefficient),
    :ant => (:timestep, :gravity, :friction_coefficient),
)

const CONTACT_TYPES = (:nonlinear, :linear, :impact)

"""
    make_mechanism(name; kwargs...)

Build Dojo mechanism `name` ("sphere", "block", "pendulum", "hopper", "halfcheetah", "ant")
with the given keywords. Unknown names, unknown keywords and unknown contact types raise
an `ArgumentError` that lists what is allowed.
"""
function make_mechanism(name::Union{AbstractString,Symbol}; kwargs...)
    model = Symbol(name)
    haskey(MECHANISM_KEYWORDS, model) || throw(ArgumentError(
        "unknown mechanism $(repr(String(model))); valid: $(join(sort(String.(collect(keys(MECHANISM_KEYWORDS)))), ", "))"))
    allowed = MECHANISM_KEYWORDS[model]
    options = Dict{Symbol,Any}()
    for (key, value) in kwargs
        key in allowed || throw(ArgumentError(
            "unknown keyword $(key) for mechanism $(model); valid: $(join(String.(allowed), ", "))"))
        options[key] = value
    end
    if haskey(options, :contact_type)
        options[:contact_type] = Symbol(options[:contact_type])
        options[:contact_type] in CONTACT_TYPES || throw(ArgumentError(
            "unknown contact_type $(options[:contact_type]); valid: $(join(String.(CONTACT_TYPES), ", "))"))
    end
    for key in (:timestep, :gravity, :friction_coefficient, :radius, :mass, :edge_length)
        haskey(options, key) && (options[key] = Float64(options[key]))
    end
    for key in (:radius, :mass, :edge_length)
        haskey(options, key) && !(options[key] > 0) &&
            throw(ArgumentError("$(key) must be > 0, got $(options[key])"))
    end
    haskey(options, :timestep) && !(options[:timestep] > 0) &&
        throw(ArgumentError("timestep must be > 0, got $(options[:timestep])"))
    haskey(options, :friction_coefficient) && !(options[:friction_coefficient] >= 0) &&
        throw(ArgumentError("friction_coefficient must be >= 0, got $(options[:friction_coefficient])"))
    return DojoEnvironments.get_mechanism(model; options...)
end

"""
    mechanism_info(mechanism) -> Dict{String,Any}

Dimensions and layout the Python side needs: minimal-state and input dimensions, the joints
in `mechanism.joints` order (the order of Dojo's minimal state: per joint its coordinates,
then its velocities, see `maximal_to_minimal` in src/mechanism/state.jl), and the contacts.
"""
function mechanism_info(mechanism)
    return Dict{String,Any}(
        "minimal_dimension" => Dojo.minimal_dimension(mechanism),
        "input_dimension" => Dojo.input_dimension(mechanism),
        "joint_names" => [String(joint.name) for joint in mechanism.joints],
        "joint_dimensions" => [Dojo.input_dimension(joint) for joint in mechanism.joints],
        "n_contacts" => length(mechanism.contacts),
        "contact_models" => [contact_model_name(contact) for contact in mechanism.contacts],
        "friction_dimension" => isempty(mechanism.contacts) ? 0 : friction_dimension(first(mechanism.contacts)),
        "timestep" => Float64(mechanism.timestep),
        # Added for pydojo's ψ and task layouts; written against Dojo v0.7.1, not run (no Julia where it
        # was written). Body fields: src/bodies/constructor.jl:13-19 (`mutable struct Body`: name, mass).
        # `Dojo.nullspace_mask` (src/joints/joint.jl:61-64; exported, src/Dojo.jl:185, called qualified) gives the rows whose products with
        # a joint's displacement / rotation vector are its minimal coordinates (src/joints/translational/
        # minimal.jl:57-59, src/joints/rotational/minimal.jl:62-67): 3×3, 2×3, 1×3 or 0×3.
        "body_names" => [String(body.name) for body in mechanism.bodies],
        "body_masses" => [Float64(body.mass) for body in mechanism.bodies],
        "friction_coefficient" => ground_friction(mechanism),
        "joint_translation_masks" => [Matrix{Float64}(Dojo.nullspace_mask(joint.translational)) for joint in mechanism.joints],
        "joint_rotation_masks" => [Matrix{Float64}(Dojo.nullspace_mask(joint.rotational)) for joint in mechanism.joints],
    )
end

"""The friction coefficient of the first frictional contact (every DojoEnvironments model gives all its
contacts the same one), NaN without one. `friction_coefficient` is a field of NonlinearContact and
LinearContact (src/contacts/nonlinear.jl:12-16, linear.jl:9-13); ImpactContact has none."""
function ground_friction(mechanism)
    for contact in mechanism.contacts
        contact.model isa Dojo.ImpactContact || return Float64(contact.model.friction_coefficient)
    end
    return NaN
end

"""
    set_parameters!(mechanism, masses, friction)

pydojo's ψ: body masses in `mechanism.bodies` order and one friction coefficient for every frictional
contact (NaN: left as is). Written against Dojo v0.7.1, not run (no Julia where it was written):
`Body` and the contact models are mutable structs (src/bodies/constructor.jl:13, src/contacts/
nonlinear.jl:12, linear.jl:9) and the step reads `body.mass` when it builds its residual and Jacobians
(src/integrators/constraint.jl:5, 39; src/gradients/data.jl:32, 41), as Dojo's own `set_data!` sets it
(src/mechanism/data.jl:146, 161, 168).
"""
function set_parameters!(mechanism, masses::AbstractVector, friction::Real)
    length(masses) == length(mechanism.bodies) || throw(DimensionMismatch(
        "got $(length(masses)) masses for $(length(mechanism.bodies)) bodies"))
    for (body, mass) in zip(mechanism.bodies, masses)
        (isfinite(mass) && mass > 0) || throw(ArgumentError("body masses must be finite and > 0, got $(mass)"))
        body.mass = Float64(mass)
    end
    if !isnan(friction)
        (isfinite(friction) && friction >= 0) || throw(ArgumentError("friction must be finite and >= 0, got $(friction)"))
        for contact in mechanism.contacts
            contact.model isa Dojo.ImpactContact || (contact.model.friction_coefficient = Float64(friction))
        end
    end
    return nothing
end

# `initialize_block!` draws its angular velocity from randn(3) by default
# (block/mechanism.jl:72-73); pydojo's default state must be reproducible, so it starts at rest.
const INITIALIZE_DEFAULTS = Dict{Symbol,Any}(:block => (angular_velocity=zeros(3),))

"""
    initial_minimal_state(mechanism, name; kwargs...) -> Vector{Float64}

Dojo's default initial configuration of mechanism `name` (`initialize!(mechanism, name)`,
DojoEnvironments/src/mechanisms.jl:24; the block at rest instead of a random spin) as a
minimal state.
"""
function initial_minimal_state(mechanism, name::Union{AbstractString,Symbol}; kwargs...)
    model = Symbol(name)
    Dojo.initialize!(mechanism, model; get(INITIALIZE_DEFAULTS, model, (;))..., kwargs...)
    return Vector{Float64}(Dojo.maximal_to_minimal(mechanism, Dojo.get_maximal_state(mechanism)))
end
