"""The CloudMetrics estate's policies: Security Hub FSBP controls (one per control id) and ours.

Policies read the engine's property names (camelCase). During a preview some values are unknown;
reading one raises pulumi_policy's UnknownValueError, which the pack reports as "cannot run
during preview" and the policy runs again in `pulumi up`, once the values are known.
"""
