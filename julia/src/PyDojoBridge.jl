"""
    PyDojoBridge

What pydojo's `backend=dojo` calls through juliacall: Dojo.jl v0.7.1 mechanisms
(built by DojoEnvironments' `get_mechanism`), a simulation step whose interior-point
solve stops on the central path at a requested μ_sc, Dojo's implicit-function-theorem
Jacobians at that solution, the contact state after the step, and a per-iteration trace.

Nothing here edits or copies Dojo's files: every physics quantity (residuals, Jacobians,
search directions, cone step lengths, gradients) comes from Dojo's own functions; this
package only owns the loop that strings them together (see central_path.jl).
Every Dojo symbol used was checked statically against the v0.7.1 tag (commit 7b6c368a):
see julia/AUDIT.md. Not yet run.
"""
module PyDojoBridge

using LinearAlgebra
using Dojo
using DojoEnvironments

include("mechanisms.jl")
include("trace.jl")
include("central_path.jl")
include("contacts.jl")
include("step.jl")

export make_mechanism, mechanism_info, initial_minimal_state,
    CentralPathOptions, central_path_solve!, central_path_violation,
    SolverTrace, contact_state, contact_distances, step_minimal!, StepResult,
    RESULT_SUCCESSFUL, RESULT_MAX_ITERATIONS, RESULT_NONFINITE

end # module
