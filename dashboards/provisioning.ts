import { stringify } from 'yaml'

/**
 * Grafana's file-provisioning config for a directory of generated dashboards
 * (conf/provisioning/dashboards/*.yaml). `path` is where Grafana sees the
 * directory, which may differ from where cairn wrote it (a container mount).
 */
export function provisioningYaml(options: { path: string; folder: string; folderUid: string }): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: 'cairn',
        orgId: 1,
        folder: options.folder,
        folderUid: options.folderUid,
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: options.path, foldersFromFilesStructure: false },
      },
    ],
  })
}
