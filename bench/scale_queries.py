"""The GraphQL the Dagster UI sends for the partitions page of an asset (`raw_sheet`).

`PARTITION_HEALTH` is copied verbatim from the UI bundle that dagster-webserver 1.13.27 serves
(`dagster_webserver/webapp/build/_next/static/chunks/2093.*.js`, `PartitionHealthQuery`): the
page's partition bar and list, every key and the materialized / failed / in-progress subsets.
`PARTITION_DETAIL` is the same bundle's `AssetPartitionDetailQuery` (the selected partition's
panel) with its fragments cut to the fields that select what is read: run, time, partition.
"""

from __future__ import annotations

PARTITION_HEALTH = """
query PartitionHealthQuery($assetKey: AssetKeyInput!) {
    assetNodeOrError(assetKey: $assetKey) {
      ... on AssetNode {
        id
        partitionKeysByDimension {
          name
          type
          partitionKeys
        }
        assetPartitionStatuses {
          ... on TimePartitionStatuses {
            ranges {
              status
              startTime
              endTime
              startKey
              endKey
            }
          }
          ... on DefaultPartitionStatuses {
            materializedPartitions
            materializingPartitions
            failedPartitions
          }
          ... on MultiPartitionStatuses {
            primaryDimensionName
            ranges {
              primaryDimStartKey
              primaryDimEndKey
              primaryDimStartTime
              primaryDimEndTime
              secondaryDim {
                ... on TimePartitionStatuses {
                  ranges {
                    status
                    startTime
                    endTime
                    startKey
                    endKey
                  }
                }
                ... on DefaultPartitionStatuses {
                  materializedPartitions
                  materializingPartitions
                  failedPartitions
                }
              }
            }
          }
        }
      }
    }
  }
"""

PARTITION_DETAIL = """
query AssetPartitionDetailQuery($assetKey: AssetKeyInput!, $partitionKey: String!) {
    assetOrError(assetKey: $assetKey) {
      ... on Asset {
        id
        definition {
          id
          opNames
          latestRunForPartition(partition: $partitionKey) {
            id
            status
            endTime
          }
        }
        assetEventHistory(
          partitions: [$partitionKey]
          limit: 1000
          eventTypeSelectors: [MATERIALIZATION, OBSERVATION, FAILED_TO_MATERIALIZE]
        ) {
          results {
            ... on MaterializationEvent { runId timestamp partition }
            ... on ObservationEvent { runId timestamp partition }
            ... on FailedToMaterializeEvent { runId timestamp partition }
          }
        }
      }
    }
  }
"""
