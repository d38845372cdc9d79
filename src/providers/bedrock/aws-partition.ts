/** An AWS partition: its name, and the DNS suffix of its services' hosts. */
export interface AwsPartition {
  readonly name: string;
  readonly dnsSuffix: string;
}

const STANDARD: AwsPartition = { name: "aws", dnsSuffix: "amazonaws.com" };

/**
 * The partitions of the AWS SDKs' partitions.json (aws-sdk-js-v3, packages/util-endpoints/src/lib/
 * aws/partitions.json), with the pattern of their regions' names. `aws` is also the fallback for a
 * region none matches, as in the SDKs.
 */
const PARTITIONS: readonly (AwsPartition & { readonly regions: RegExp })[] = [
  { ...STANDARD, regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
  { name: "aws-cn", dnsSuffix: "amazonaws.com.cn", regions: /^cn-\w+-\d+$/ },
  { name: "aws-us-gov", dnsSuffix: "amazonaws.com", regions: /^us-gov-\w+-\d+$/ },
  { name: "aws-iso", dnsSuffix: "c2s.ic.gov", regions: /^us-iso-\w+-\d+$/ },
  { name: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov", regions: /^us-isob-\w+-\d+$/ },
  { name: "aws-iso-e", dnsSuffix: "cloud.adc-e.uk", regions: /^eu-isoe-\w+-\d+$/ },
  { name: "aws-iso-f", dnsSuffix: "csp.hci.ic.gov", regions: /^us-isof-\w+-\d+$/ },
  { name: "aws-eusc", dnsSuffix: "amazonaws.eu", regions: /^eusc-de-\w+-\d+$/ },
];

/** `region`'s partition: the one whose pattern its name matches, else `aws` (the SDKs' default). */
export const awsPartition = (region: string): AwsPartition =>
  PARTITIONS.find((partition) => partition.regions.test(region)) ?? STANDARD;
