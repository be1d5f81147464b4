package notesapi

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbackup"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/jsii-runtime-go"

	"github.com/authnotes/authnotes/constructs/internal/naming"
)

// newBackup adds a daily AWS Backup plan for the table into its own vault. The vault is always retained: deleting
// the stack must not delete the backups that exist to survive such mistakes.
func (a *AuthenticatedNotesApi) newBackup(b *backupProps) {
	a.backupVault = awsbackup.NewBackupVault(a, jsii.String("BackupVault"), &awsbackup.BackupVaultProps{
		// Named by region, stack and path in the stack: CDK's generated name includes a pipeline stage's path, and a
		// renamed vault is a new one (the old one, retained, would keep the backups).
		BackupVaultName: jsii.String(naming.Stable(a, "BackupVault", 50)),
		RemovalPolicy:   awscdk.RemovalPolicy_RETAIN,
	})
	a.backupPlan = awsbackup.NewBackupPlan(a, jsii.String("BackupPlan"), &awsbackup.BackupPlanProps{
		BackupVault: a.backupVault,
		BackupPlanRules: &[]awsbackup.BackupPlanRule{awsbackup.NewBackupPlanRule(&awsbackup.BackupPlanRuleProps{
			RuleName: jsii.String("Daily"),
			ScheduleExpression: awsevents.Schedule_Cron(&awsevents.CronOptions{
				Minute: jsii.String("0"), Hour: jsii.String(strconv.Itoa(int(b.startHourUtc))),
			}),
			DeleteAfter: awscdk.Duration_Days(jsii.Number(b.deleteAfter.Hours() / 24)),
		})},
	})
	a.backupPlan.AddSelection(jsii.String("Table"), &awsbackup.BackupSelectionOptions{
		Resources: &[]awsbackup.BackupResource{awsbackup.BackupResource_FromDynamoDbTable(a.table)},
	})
}

// newDomain maps the $default stage to a regional custom domain and, given the hosted zone, points A and AAAA
// alias records at it. The execute-api endpoint stays on: the web app's CloudFront origin uses it.
func (a *AuthenticatedNotesApi) newDomain(d *DomainProps) {
	a.domainName = awsapigatewayv2.NewDomainName(a, jsii.String("DomainName"), &awsapigatewayv2.DomainNameProps{
		DomainName:     jsii.String(d.DomainName),
		Certificate:    awscertificatemanager.Certificate_FromCertificateArn(a, jsii.String("Certificate"), jsii.String(d.CertificateArn)),
		SecurityPolicy: awsapigatewayv2.SecurityPolicy_TLS_1_2,
	})
	awsapigatewayv2.NewApiMapping(a, jsii.String("ApiMapping"), &awsapigatewayv2.ApiMappingProps{
		Api: a.api, DomainName: a.domainName, Stage: a.stage,
	})
	a.apiURL = jsii.String("https://" + d.DomainName + "/")
	if d.HostedZoneId == "" {
		return
	}
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(a, jsii.String("HostedZone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String(d.HostedZoneId), ZoneName: jsii.String(d.HostedZoneName),
	})
	target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(
		a.domainName.RegionalDomainName(), a.domainName.RegionalHostedZoneId()))
	awsroute53.NewARecord(a, jsii.String("DomainRecordA"), &awsroute53.ARecordProps{Zone: zone, RecordName: jsii.String(d.DomainName), Target: target})
	awsroute53.NewAaaaRecord(a, jsii.String("DomainRecordAAAA"), &awsroute53.AaaaRecordProps{Zone: zone, RecordName: jsii.String(d.DomainName), Target: target})
}

// BackupPlan is the table's AWS Backup plan, or nil without Backup.
func (a *AuthenticatedNotesApi) BackupPlan() awsbackup.BackupPlan { return a.backupPlan }

// BackupVault holds the table's backups (retained on stack deletion), or nil without Backup.
func (a *AuthenticatedNotesApi) BackupVault() awsbackup.BackupVault { return a.backupVault }

// DomainName is the API's custom domain, or nil without Domain.
func (a *AuthenticatedNotesApi) DomainName() awsapigatewayv2.DomainName { return a.domainName }
