/** An AWS partition: its name, and the DNS suffixes of its services' hosts (IPv4, and dual-stack IPv4 and IPv6). */
export interface AwsPartition {
  readonly name: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
}

const STANDARD: AwsPartition = { name: "aws", dnsSuffix: "amazonaws.com", dualStackDnsSuffix: "api.aws" };

/**
 * The partitions of the AWS SDKs' partitions.json (aws-sdk-js-v3, packages/util-endpoints/src/lib/
 * aws/partitions.json; every partition supports dual-stack there), with the pattern of their regions' names. `aws` is also the fallback for a
 * region none matches, as in the SDKs.
 */
const PARTITIONS: readonly (AwsPartition & { readonly regions: RegExp })[] = [
  { ...STANDARD, regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
  {
    name: "aws-cn",
    dnsSuffix: "amazonaws.com.cn",
    dualStackDnsSuffix: "api.amazonwebservices.com.cn",
    regions: /^cn-\w+-\d+$/,
  },
  {
    name: "aws-us-gov",
    dnsSuffix: "amazonaws.com",
    dualStackDnsSuffix: "api.aws",
    regions: /^us-gov-\w+-\d+$/,
  },
  {
    name: "aws-iso",
    dnsSuffix: "c2s.ic.gov",
    dualStackDnsSuffix: "api.aws.ic.gov",
    regions: /^us-iso-\w+-\d+$/,
  },
  {
    name: "aws-iso-b",
    dnsSuffix: "sc2s.sgov.gov",
    dualStackDnsSuffix: "api.aws.scloud",
    regions: /^us-isob-\w+-\d+$/,
  },
  {
    name: "aws-iso-e",
    dnsSuffix: "cloud.adc-e.uk",
    dualStackDnsSuffix: "api.cloud-aws.adc-e.uk",
    regions: /^eu-isoe-\w+-\d+$/,
  },
  {
    name: "aws-iso-f",
    dnsSuffix: "csp.hci.ic.gov",
    dualStackDnsSuffix: "api.aws.hci.ic.gov",
    regions: /^us-isof-\w+-\d+$/,
  },
  {
    name: "aws-eusc",
    dnsSuffix: "amazonaws.eu",
    dualStackDnsSuffix: "api.amazonwebservices.eu",
    regions: /^eusc-de-\w+-\d+$/,
  },
];

/** `region`'s partition: the one whose pattern its name matches, else `aws` (the SDKs' default). */
export const awsPartition = (region: string): AwsPartition =>
  PARTITIONS.find((partition) => partition.regions.test(region)) ?? STANDARD;
