"""What must exist in an AWS account before the cloudmetrics stacks can be deployed there."""
