# PyDojoBridge tests: one testset per source file. Run with
#   julia --project=julia -e 'using Pkg; Pkg.test()'
# Written against Dojo v0.7.1 (commit 7b6c368a); not yet run anywhere (see julia/AUDIT.md).
# Checks against things this package did not write: analytic free fall and sliding with
# Coulomb friction, Dojo's own complementarity products, and central finite differences
# (FiniteDiff.jl) of the step map for Dojo's implicit-function-theorem Jacobians.
using Test
using LinearAlgebra
using FiniteDiff
using Dojo
using PyDojoBridge

const TIGHT = CentralPathOptions(rtol=1e-11, comp_rtol=1e-9, comp_atol=1e-13, max_iter=80)

# sphere of radius 0.5 (get_sphere default), floating joint minimal state [x; rotvec; v; ω]
sphere_state(height; v=zeros(3), ω=zeros(3)) = [0.0, 0.0, height, 0.0, 0.0, 0.0, v..., ω...]
# block of edge 0.5 (get_block default) resting on its face: centre at 0.25
block_state(height; v=zeros(3)) = [0.0, 0.0, height, 0.0, 0.0, 0.0, v..., 0.0, 0.0, 0.0]

@testset "PyDojoBridge" begin

@testset "mechanisms.jl" begin
    expected = Dict("sphere" => (12, 6), "block" => (12, 6), "pendulum" => (2, 1),
        "hopper" => (12, 6), "halfcheetah" => (18, 9), "ant" => (28, 14))
    for (name, (n, m)) in expected
        mech = make_mechanism(name; timestep=0.01)
        info = mechanism_info(mech)
        @test info["minimal_dimension"] == n
        @test info["input_dimension"] == m
        @test sum(2 .* info["joint_dimensions"]) == n
        @test info["timestep"] == 0.01
        x0 = initial_minimal_state(mech, name)
        @test length(x0) == n && all(isfinite, x0)
    end
    mech = make_mechanism("sphere"; timestep=0.02, gravity=-3.0, friction_coefficient=0.3, contact_type="linear")
    @test mech.timestep == 0.02
    @test mechanism_info(mech)["contact_models"] == ["linear"]
    @test mechanism_info(mech)["friction_dimension"] == 4
    @test mechanism_info(make_mechanism("hopper"))["contact_models"][1] == "nonlinear"
    @test_throws ArgumentError make_mechanism("cheetah")
    @test_throws ArgumentError make_mechanism("pendulum"; friction_coefficient=0.5)
    @test_throws ArgumentError make_mechanism("sphere"; contact_type=:soft)
    @test_throws ArgumentError make_mechanism("block"; timestep=-0.01)
    # the block's default start is reproducible (initialize_block! would draw ω from randn)
    block = make_mechanism("block")
    x1, x2 = initial_minimal_state(block, "block"), initial_minimal_state(block, "block")
    @test x1 == x2 && all(x1[10:12] .== 0)
    # pydojo's ψ and task-layout fields, the sphere's size keywords (added for training on this backend;
    # written against Dojo v0.7.1, not yet run)
    sphere = make_mechanism("sphere"; radius=0.1, mass=2.0)
    info = mechanism_info(sphere)
    @test info["body_masses"] == [2.0] && info["friction_coefficient"] == 0.8
    @test size(info["joint_translation_masks"][1]) == (3, 3) && size(info["joint_rotation_masks"][1]) == (3, 3)
    @test sphere.contacts[1].model.collision.contact_radius == 0.1
    hopper = mechanism_info(make_mechanism("hopper"))
    @test size(hopper["joint_translation_masks"][1]) == (2, 3) && size(hopper["joint_rotation_masks"][1]) == (1, 3)
    @test abs.(hopper["joint_translation_masks"][1][1, :]) ≈ [0, 0, 1]  # the height first (initialize_hopper!)
    @test all(size(m) == (0, 3) for m in hopper["joint_translation_masks"][2:end])
    PyDojoBridge.set_parameters!(sphere, [3.0], 0.4)
    @test sphere.bodies[1].mass == 3.0 && sphere.contacts[1].model.friction_coefficient == 0.4
    PyDojoBridge.set_parameters!(sphere, [3.0], NaN)  # NaN: friction left as is
    @test sphere.contacts[1].model.friction_coefficient == 0.4
    @test_throws DimensionMismatch PyDojoBridge.set_parameters!(sphere, [1.0, 2.0], 0.4)
    @test_throws ArgumentError PyDojoBridge.set_parameters!(sphere, [-1.0], 0.4)
    @test_throws ArgumentError make_mechanism("sphere"; radius=0.0)
end

@testset "trace.jl" begin
    trace = PyDojoBridge.SolverTrace()
    PyDojoBridge.record_iterate!(trace, 1.0, 2.0, 3.0)
    PyDojoBridge.record_step!(trace; mu_target=0.1, sigma=0.2, alpha_affine=0.3, alpha=0.4, step=0.4)
    PyDojoBridge.record_iterate!(trace, 0.1, 0.2, 0.3)
    d = PyDojoBridge.trace_dict(trace)
    @test d["eq_residual"] == [1.0, 0.1]
    @test d["mu_target"][1] == 0.1 && isnan(d["mu_target"][2])
    @test Set(keys(d)) == Set(["eq_residual", "comp_residual", "bilinear_residual", "mu_target",
        "sigma", "alpha_affine", "alpha", "step"])
end

@testset "central_path.jl" begin
    # μ_sc honoured: after the solve every complementarity product (Dojo's own
    # `complementarity`, Jordan product for the cone) sits in the band around μ_sc.
    for contact_type in (:nonlinear, :linear, :impact), μ in (1e-2, 1e-4, 1e-6)
        mech = make_mechanism("sphere"; timestep=0.01, contact_type)
        Dojo.set_maximal_state!(mech, Dojo.minimal_to_maximal(mech, sphere_state(0.5)))
        Dojo.set_input!(mech, zeros(6))
        opts = CentralPathOptions(rtol=1e-9, comp_rtol=1e-3, comp_atol=0.0)
        result, iterations, trace = central_path_solve!(mech, μ; opts)
        @test result == RESULT_SUCCESSFUL
        @test Dojo.residual_violation(mech) < 1e-9
        for contact in mech.contacts
            products = Dojo.complementarity(mech, contact)
            target = μ * Dojo.neutral_vector(contact.model)
            @test norm(products - target, Inf) <= 1e-3 * μ
        end
        @test trace.comp_residual[end] <= 1e-3 * μ
    end
    # the centering target never undercuts μ_sc
    mech = make_mechanism("block"; timestep=0.01)
    Dojo.set_maximal_state!(mech, Dojo.minimal_to_maximal(mech, block_state(0.25)))
    Dojo.set_input!(mech, zeros(6))
    _, _, trace = central_path_solve!(mech, 1e-3)
    steps = filter(isfinite, trace.mu_target)
    @test !isempty(steps) && all(steps .>= 1e-3)
    @test_throws ArgumentError central_path_solve!(mech, -1.0)
    @test_throws ArgumentError CentralPathOptions(rtol=0.0)
    @test_throws ArgumentError CentralPathOptions(max_ls=0)  # Dojo's line_search! would take no step
end

@testset "contacts.jl" begin
    # sphere resting on the ground: φ ≈ 0 (to μ/γ), γₙ ≈ m g h, friction ≈ 0
    h, g, m = 0.01, 9.81, 1.0
    mech = make_mechanism("sphere"; timestep=h, gravity=-g)
    res = step_minimal!(mech, sphere_state(0.5), zeros(6), 1e-9; opts=TIGHT, gradients=false)
    phi, gamma, friction = contact_state(mech)
    @test res.result == RESULT_SUCCESSFUL
    @test gamma[1] ≈ m * g * h rtol=1e-5
    @test abs(phi[1]) < 1e-6
    @test size(friction) == (1, 2) && norm(friction) < 1e-6
    @test res.gamma == gamma && res.phi == phi
    # distances without a step: the sphere's lowest point 0.3 above the ground
    @test contact_distances(mech, sphere_state(0.8)) ≈ [0.3] atol=1e-12
    @test contact_distances(make_mechanism("pendulum"), [0.1, 0.0]) == Float64[]
    @test_throws DimensionMismatch contact_distances(mech, zeros(3))
end

@testset "step.jl" begin
    h, g = 0.01, 9.81
    # free fall (no contact active): Dojo's implicit-midpoint position update x' = x + h v',
    # v' = v − g h (gravity as an impulse), far above the ground
    mech = make_mechanism("sphere"; timestep=h, gravity=-g)
    x = sphere_state(2.0; v=[0.3, -0.2, 0.5])
    res = step_minimal!(mech, x, zeros(6), 0.0; opts=TIGHT)
    @test res.result == RESULT_SUCCESSFUL
    v_next = [0.3, -0.2, 0.5 - g * h]
    @test res.next_state[7:9] ≈ v_next atol=1e-8
    @test res.next_state[1:3] ≈ x[1:3] + h * v_next atol=1e-8
    @test res.phi[1] ≈ x[3] + h * v_next[3] - 0.5 atol=1e-6

    # block pushed along x on the ground, μ_f = 0.5: sliding with Coulomb friction,
    # v' = v + h (F/m − μ_f g) once the force beats static friction
    μf, F = 0.5, 10.0
    mech = make_mechanism("block"; timestep=h, gravity=-g, friction_coefficient=μf)
    xb = block_state(0.25; v=[1.0, 0.0, 0.0])
    res = step_minimal!(mech, xb, [F, 0, 0, 0, 0, 0], 1e-9; opts=TIGHT)
    @test res.result == RESULT_SUCCESSFUL
    @test res.next_state[7] ≈ 1.0 + h * (F - μf * g) rtol=1e-4
    @test abs(res.next_state[9]) < 1e-6                       # stays on the ground
    @test sum(res.gamma) ≈ g * h rtol=1e-4                    # total normal impulse = m g h

    # Dojo's Jacobians vs central finite differences of the step map (smoothed, μ_sc > 0,
    # sphere in contact and rolling/sliding so every block of the Jacobian is exercised).
    # Tolerance 1e-4 relative: FD truncation error grows like step² / μ_sc² in contact.
    for (name, state, μ) in (("sphere", sphere_state(0.5; v=[0.4, 0.1, -0.2], ω=[0.1, 0.0, 0.3]), 1e-3),
                             ("block", block_state(0.25; v=[0.5, 0.2, 0.0]), 1e-3),
                             ("pendulum", [0.3, -0.1], 0.0))
        mech = make_mechanism(name; timestep=h)
        # Floating joints: force only. Dojo's torque input is in the world frame and enters the
        # body as R(q)ᵀτ cached in state.Jτ2, whose q-dependence its data Jacobian leaves out
        # (src/joints/rotational/input.jl:14; input_jacobian_configuration is never called), so
        # ∂x'/∂x would differ from differences at a fixed world torque. pydojo passes body-frame
        # torques converted to the world frame (pydojo/backends/dojo_layout.py), for which it is exact.
        u = name == "pendulum" ? [0.1] : [0.1, 0.1, 0.1, 0.0, 0.0, 0.0]
        res = step_minimal!(mech, state, u, μ; opts=TIGHT)
        @test res.result == RESULT_SUCCESSFUL
        f_x = FiniteDiff.finite_difference_jacobian(y -> step_minimal!(mech, y, u, μ; opts=TIGHT, gradients=false).next_state, state, Val(:central))
        f_u = FiniteDiff.finite_difference_jacobian(w -> step_minimal!(mech, state, w, μ; opts=TIGHT, gradients=false).next_state, u, Val(:central))
        scale_x = max(1.0, norm(f_x, Inf))
        scale_u = max(1.0, norm(f_u, Inf))
        @test norm(res.jacobian_state - f_x, Inf) <= 1e-4 * scale_x
        @test norm(res.jacobian_control - f_u, Inf) <= 1e-4 * scale_u
    end
    @test_throws DimensionMismatch step_minimal!(make_mechanism("sphere"), zeros(11), zeros(6), 1e-3)
    @test_throws ArgumentError step_minimal!(make_mechanism("sphere"), fill(NaN, 12), zeros(6), 1e-3)
end

end
