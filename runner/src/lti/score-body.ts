/** The AGS 2.0 score a tool posts to `<lineitem>/scores` (application/vnd.ims.lis.v1.score+json). */
export interface ScoreBody {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  comment?: string;
  timestamp: string;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
}
