"""The simulator's HTTP routes, one module per API family plus the control routes.

Each module's `routes(sim)` returns its Starlette routes; `ztui.sim.app.create_app`
puts them together behind the gateway.
"""
