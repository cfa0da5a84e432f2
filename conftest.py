"""Every test folder's fixtures come from the dev-only optivus_testing
package (testing/), so that test modules never import conftest."""

pytest_plugins = ["optivus_testing.fixtures"]
