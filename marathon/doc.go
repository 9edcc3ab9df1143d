// Package marathon deploys a Marathon app definition on a DC/OS 1.9
// cluster (Marathon 1.4) through its Admin Router, and reads back what
// runs.
//
// App is the definition as users write it: unknown fields are kept, and
// the tool only sets the image, the archive URI and its labels. Client is
// the REST API (/v2/info, PUT /v2/apps/<id>, /v2/deployments, app
// versions) with the DC/OS token when authentication is on; a deploy is
// always PUT /v2/apps/<id>, which creates the app or rolls it to the new
// definition, never a delete and create. WaitDeployed follows the
// deployment until it is gone and every task of the new version runs,
// collecting each task failure (Marathon shows the last one,
// lastTaskFailure) with the agent it happened on. Status sums an app's
// tasks per state and version, with the image and digest of each version.
package marathon
